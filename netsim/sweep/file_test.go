package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestOpenLedger(t *testing.T) {
	name := filepath.Join(t.TempDir(), "l.jsonl")
	lf, err := OpenLedger(name)
	if err != nil || len(lf.Records) != 0 || lf.Torn {
		t.Fatalf("a new ledger: %+v, %v", lf, err)
	}
	for _, s := range []int64{1, 2, 3} {
		lf.Write(rec(s, s != 2, 0))
	}
	lf.Close()
	f, _ := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seed":4,"pa`)
	f.Close()
	lf, err = OpenLedger(name)
	if err != nil || len(lf.Records) != 3 || !lf.Torn {
		t.Fatalf("a torn ledger: %+v, %v", lf, err)
	}
	lf.Write(rec(4, true, 0))
	lf.Close()
	lf, err = OpenLedger(name)
	if err != nil || len(lf.Records) != 4 || lf.Torn {
		t.Fatalf("after the torn line was cut: %+v, %v", lf, err)
	}
	lf.Close()
	if got := Remaining([]int64{5, 4, 3, 2, 1, 0}, lf.Records, ""); !slices.Equal(got, []int64{5, 0}) {
		t.Fatalf("Remaining = %v", got)
	}
	if got := Remaining([]int64{1, 2}, lf.Records, "TestX"); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("Remaining of another name = %v", got)
	}
	os.WriteFile(name, []byte("{\"seed\":1}\nnope\n"), 0o666)
	var le *LedgerError
	if _, err := OpenLedger(name); !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("a bad ledger: %v", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "{\"seed\":1}\nnope\n" {
		t.Fatalf("a bad ledger was changed: %q", b)
	}
}

func TestWriteReadFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "m.jsonl")
	want := []Record{rec(1, true, 5), rec(2, false, 6)}
	if err := WriteFile(name, want); err != nil {
		t.Fatal(err)
	}
	got, torn, err := ReadFile(name)
	if err != nil || torn || !slices.Equal(got, want) {
		t.Fatalf("ReadFile = %v, %v, %v", got, torn, err)
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"), want); err == nil {
		t.Fatal("WriteFile into a missing directory: no error")
	}
	if _, _, err := ReadFile(name + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadFile of a missing file: %v", err)
	}
}
