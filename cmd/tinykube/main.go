package main

import (
	"fmt"
	"os"

	"github.com/tinykube/tinykube/pkg/cmd"
)

func main() {
	if err := cmd.NewRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
