package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// env is what a command reads and writes; tests fill it in.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	resolvConf     string // path of resolv.conf
	hostsFile      string // path of the hosts file
	dnsPort        string // name servers' port ("": resolv.conf's, 53)
}

func main() {
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		resolvConf: "/etc/resolv.conf", hostsFile: "/etc/hosts"}
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	if name == "nettools" && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	var rc int
	switch name {
	case "dig":
		rc = dig(e, args)
	case "getent":
		rc = getent(e, args)
	case "nc":
		rc = nc(e, args)
	case "curl":
		rc = curl(e, args)
	default:
		fmt.Fprintf(os.Stderr, "nettools: called as %q; call it as curl, dig, getent or nc\n", name)
		rc = 1
	}
	os.Exit(rc)
}
