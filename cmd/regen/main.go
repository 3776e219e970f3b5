// Command regen regenerates Ash/Ecto migrations transactionally.
package main

import (
	"os"

	"github.com/regen-tool/regen/cmd/regen/cli"
)

func main() { os.Exit(run()) }

func run() int { return cli.Main(os.Args[1:]) }
