package scenario_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"netsim.dev/netsim/scenario"
)

// The book's UDP exchange as a scenario file: parse it, run it, print what
// the programs printed and the run's counts.
func ExampleScenario_Run() {
	src := []byte(`
summary: one UDP datagram 127.0.0.1:24001 -> 127.0.0.1:24000 with 44, 55, 66
capture: {format: pcap, links: [localhost:lo]}
hosts: [{name: localhost}]
programs:
  - name: receiver
    host: localhost
    steps:
      - bind: 127.0.0.1:24000
      - recv: {hex: 2c 37 42}
  - name: sender
    host: localhost
    steps:
      - bind: 127.0.0.1:24001
      - send: {to: 127.0.0.1:24000, hex: 2c 37 42}
expect:
  filters:
    "udp.srcport == 24001 && udp.dstport == 24000": 1
  received:
    - {program: receiver, sock: udp, bytes: 3}
`)
	s, err := scenario.Parse("udp.yaml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	var capture bytes.Buffer
	res, err := s.Run(scenario.RunOptions{Capture: &capture, Out: os.Stdout})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frame(s), %d bytes of pcap\n", res.Stats.Frames, capture.Len())
	// Output:
	// sender: udp: sent 3 bytes to 127.0.0.1:24000
	// receiver: udp: received 3 bytes from 127.0.0.1:24001: 2c 37 42 (b',7B')
	// 1 frame(s), 85 bytes of pcap
}

// A mistake is reported at its line and column, with what was expected.
func ExampleParse_error() {
	_, err := scenario.Parse("bad.yaml", []byte(`
hosts: [{name: a}]
programs:
  - host: a
    steps:
      - sleep: 10
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, scenario.ErrInvalid))
	// Output:
	// bad.yaml:6:16: programs[0].steps[0].sleep.for: "10": missing unit, e.g. 10ms
	// true
}
