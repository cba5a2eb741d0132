//go:build tools

// Package tools pins the commands this module builds (test-only: the real sops CLI encrypts the
// test vectors Tether must decrypt, and age-keygen makes their keys).
package tools

import (
	_ "filippo.io/age/cmd/age-keygen"
	_ "github.com/getsops/sops/v3/cmd/sops"
)
