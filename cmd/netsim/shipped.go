package main

import (
	"strings"

	"netsim.dev/demo"
	"netsim.dev/netsim/scenario"
)

// The scenarios netsim ships and the scenario file reference come from
// other packages (demo and netsim/scenario); this file is the CLI's one
// place that reaches them.

// shippedScenario is a scenario netsim ships, which `netsim run NAME` runs.
type shippedScenario struct {
	name, summary string
	source        []byte // the file, comments included
}

// load parses the scenario.
func (s shippedScenario) load() (*scenario.Scenario, error) {
	return demo.LookupScenario(s.name)
}

// shippedScenarios lists the shipped scenarios, by name.
func shippedScenarios() []shippedScenario {
	var list []shippedScenario
	for _, s := range demo.Scenarios() {
		list = append(list, shippedScenario{s.Name, s.Summary, s.Source})
	}
	return list
}

// lookupShipped returns the shipped scenario called name.
func lookupShipped(name string) (shippedScenario, bool) {
	for _, s := range shippedScenarios() {
		if s.name == name {
			return s, true
		}
	}
	return shippedScenario{}, false
}

// shippedNames names the shipped scenarios, for messages.
func shippedNames() string {
	var names []string
	for _, s := range shippedScenarios() {
		names = append(names, s.name)
	}
	if len(names) == 0 {
		return "none shipped"
	}
	return strings.Join(names, ", ")
}

// scenarioReference is the text of `netsim help scenario`: every key of
// a scenario file.
func scenarioReference() string {
	return scenario.Reference()
}
