// Command keelson-kube is the Kubernetes control plane of Keelson's local test
// environment. One binary keeps the build and the cache small; the first
// argument (or the name it is invoked by, e.g. a "kubectl" symlink) picks the
// component:
//
//	keelson-kube etcd --data-dir DIR --listen-client URL --listen-peer URL
//	keelson-kube kube-apiserver [flags of kube-apiserver]
//	keelson-kube kube-controller-manager [flags of kube-controller-manager]
//	keelson-kube kubectl [kubectl arguments]
package main

import (
	"fmt"
	"os"
	"path/filepath"
	_ "time/tzdata" // CronJob time zones, as in the upstream commands

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

const usage = "usage: keelson-kube etcd|kube-apiserver|kube-controller-manager|kubectl [args]"

func main() {
	component := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if component == "keelson-kube" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		component, args = args[0], args[1:]
	}
	// Each upstream command parses os.Args itself.
	os.Args = append([]string{component}, args...)
	switch component {
	case "etcd":
		os.Exit(runEtcd(args))
	case "kube-apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "kube-controller-manager":
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	case "kubectl":
		runKubectl()
	default:
		fmt.Fprintf(os.Stderr, "unknown component %q\n%s\n", component, usage)
		os.Exit(2)
	}
}
