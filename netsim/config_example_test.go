package netsim_test

import (
	"errors"
	"fmt"

	"netsim.dev/netsim"
)

// A *ConfigError names the field of Options or LinkConfig that is out of
// range; errors.As finds it in what New, Connect and Link.Set return.
func ExampleConfigError() {
	_, err := netsim.New(netsim.Options{SnapLen: -1})
	fmt.Println(err)
	var ce *netsim.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Field, ce.Value)
	}
	fmt.Println(netsim.LinkConfig{Loss: 1.5}.Validate())
	// Output:
	// netsim: Options.SnapLen: -1 is negative
	// Options.SnapLen -1
	// LinkConfig.Loss: 1.5 is not between 0 and 1
}
