// A tiny command used by the binary-cache tests: builds in about a second.
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println("hello", version)
		return
	}
	fmt.Println("hello")
}
