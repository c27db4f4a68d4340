package models

import (
	ort "github.com/yalue/onnxruntime_go"
)

// Providers lists the execution providers of the loaded library that
// dpokit can use: CPU always, CUDA when the library has it (probed by
// creating CUDA provider options and appending them to session options, as
// --device cuda does). why says what the CUDA probe reported when it
// failed.
func (r *Runtime) Providers() (names []string, why string) {
	names = []string{"CPUExecutionProvider"}
	cuda, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return names, err.Error()
	}
	defer cuda.Destroy()
	so, err := ort.NewSessionOptions()
	if err != nil {
		return names, err.Error()
	}
	defer so.Destroy()
	if err := so.AppendExecutionProviderCUDA(cuda); err != nil {
		return names, err.Error()
	}
	return append(names, "CUDAExecutionProvider"), ""
}
