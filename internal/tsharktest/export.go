package tsharktest

// SelectLua is the Lua script behind [Select], for programs that run tshark
// themselves (scripts/readcompare): loaded with `-X lua_script:FILE`, it
// reads display filters, one a line, from the file named by
// $TSHARKTEST_FILTERS and writes to the file named by $TSHARKTEST_OUT one
// line per filter: the numbers of the frames it selects, comma-separated,
// or ERR when tshark rejects the filter.
const SelectLua = selectLua

// CleanStderr returns tshark's standard error without its warning about
// running as root.
func CleanStderr(s string) string { return cleanStderr(s) }
