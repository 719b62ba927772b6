// The checkers the suite runs over deploy/: Helm (lint, template, install of
// the chart) and Prometheus's promtool (the alert rules' unit tests), built
// from their published Go modules. Both live in this one module so that the
// Kubernetes libraries they share are the versions tools/testenv/kube builds,
// compiled once; the build commands name each tool's own main package, so this
// file only pins the dependencies.
package main

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
	_ "helm.sh/helm/v3/cmd/helm"
)

func main() {}
