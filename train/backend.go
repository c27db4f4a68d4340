package train

import (
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go backend, always available
	"github.com/gomlx/gomlx/backends/xla"
)

// disableAutoInstall keeps the XLA backend from downloading its PJRT
// plugin: dpokit downloads nothing at run time, so XLA is used only where
// its plugin is installed.
func disableAutoInstall() { xla.EnableAutoInstall(false) }
