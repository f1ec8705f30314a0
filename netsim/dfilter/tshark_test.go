package dfilter

import (
	"os"
	"os/exec"
)

func lookTshark() (string, error) {
	name := os.Getenv("TSHARK")
	if name == "" {
		name = "tshark"
	}
	return exec.LookPath(name)
}
