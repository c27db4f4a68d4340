package train

import (
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, always available
	"github.com/gomlx/go-xla/compute/xla"
)

// disableAutoInstall keeps the XLA backend from downloading its PJRT
// plugin: dpokit downloads nothing at run time, so XLA is used only where
// its plugin is installed.
func disableAutoInstall() { xla.EnableAutoInstall(false) }
