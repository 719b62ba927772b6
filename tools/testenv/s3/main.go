// The S3-compatible object store of the test environment: SeaweedFS's `weed`
// command, built from its published Go module. The module cannot be `go
// install`ed because its go.mod carries a replace directive, so this module
// requires it and repeats that replace (see go.mod); the build command names
// the `weed` package itself, so this file only pins the dependency.
package main

import _ "github.com/seaweedfs/seaweedfs/weed/command"

func main() {}
