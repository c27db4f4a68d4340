package models

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryName is the file name of the ONNX Runtime shared library on Linux.
const LibraryName = "libonnxruntime.so.1"

// fetchedDir is where `make ort` puts the pinned library, relative to the
// repository root. It is searched upwards from the working directory and
// beside the executable.
const fetchedDir = "third_party/onnxruntime"

// RuntimeOptions says where ONNX Runtime comes from and how sessions run.
// Only internal/cli reads flags and the environment; it fills Library from
// --ort-lib, DPOKIT_ORT_LIB or ONNXRUNTIME_SHARED_LIBRARY_PATH, in that order.
type RuntimeOptions struct {
	Library string // explicit path; empty means search (see FindLibrary)
	Threads int    // intra-op threads per session; 0 means 1
	Device  string // "cpu" (default) or "cuda"
}

// MissingLibraryError is returned when no ONNX Runtime library can be found
// or loaded. Its message says how to get one.
type MissingLibraryError struct {
	Tried []string
	Err   error
}

func (e *MissingLibraryError) Error() string {
	msg := "ONNX Runtime library not found"
	if e.Err != nil {
		msg = "ONNX Runtime library could not be loaded: " + e.Err.Error()
	}
	if len(e.Tried) > 0 {
		msg += " (tried " + strings.Join(e.Tried, ", ") + ")"
	}
	return msg
}

func (e *MissingLibraryError) Unwrap() error { return e.Err }

// Hint tells the user how to get the library.
func (e *MissingLibraryError) Hint() string {
	return "run `make ort` in the dpokit checkout (fetches ONNX Runtime " + "into " + fetchedDir +
		"), or point --ort-lib / DPOKIT_ORT_LIB at a libonnxruntime.so (ONNX Runtime >= 1.24)"
}

// FindLibrary returns the first existing candidate: the explicit path, then
// third_party/onnxruntime found upwards from the working directory or beside
// the executable, then standard library directories.
func FindLibrary(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", &MissingLibraryError{Tried: []string{explicit}, Err: err}
		}
		return explicit, nil
	}
	var tried []string
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, fetchedDir, LibraryName))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		candidates = append(candidates,
			filepath.Join(dir, LibraryName),
			filepath.Join(dir, "..", fetchedDir, LibraryName))
	}
	for _, d := range []string{"/usr/local/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/opt/onnxruntime/lib"} {
		candidates = append(candidates, filepath.Join(d, LibraryName), filepath.Join(d, "libonnxruntime.so"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
		tried = append(tried, c)
	}
	if len(tried) > 4 {
		tried = append(tried[:3], fmt.Sprintf("and %d more places", len(tried)-3))
	}
	return "", &MissingLibraryError{Tried: tried}
}

// Runtime owns the process-wide ONNX Runtime environment. Only one can be
// open at a time; Close releases it.
type Runtime struct {
	opts    RuntimeOptions
	library string
	logp    gatherSession
	loading atomic.Int32 // sessions being made (LoadContext may have left one behind)
}

var (
	envMu   sync.Mutex
	envOpen bool
)

// ErrRuntimeOpen is returned by NewRuntime while another Runtime is open.
var ErrRuntimeOpen = errors.New("an ONNX Runtime environment is already open in this process")

// NewRuntime loads the ONNX Runtime library and creates the environment.
func NewRuntime(opts RuntimeOptions) (*Runtime, error) {
	envMu.Lock()
	defer envMu.Unlock()
	if envOpen {
		return nil, ErrRuntimeOpen
	}
	switch opts.Device {
	case "", "cpu", "cuda":
	default:
		return nil, fmt.Errorf("unknown device %q (want cpu or cuda)", opts.Device)
	}
	if runtime.GOOS != "linux" && opts.Library == "" {
		return nil, fmt.Errorf("set the ONNX Runtime library path explicitly on %s", runtime.GOOS)
	}
	lib, err := FindLibrary(opts.Library)
	if err != nil {
		return nil, err
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return nil, &MissingLibraryError{Tried: []string{lib}, Err: err}
	}
	envOpen = true
	return &Runtime{opts: opts, library: lib}, nil
}

// Library is the path of the loaded shared library.
func (r *Runtime) Library() string { return r.library }

// Version is the ONNX Runtime version string.
func (r *Runtime) Version() string { return ort.GetVersion() }

// Close destroys the environment. Sessions must be closed first.
func (r *Runtime) Close() error {
	envMu.Lock()
	defer envMu.Unlock()
	if !envOpen {
		return nil
	}
	if r.loading.Load() > 0 {
		// A session is still being made for a run that stopped: the
		// environment must outlive it, and the process is ending.
		return nil
	}
	envOpen = false
	var err error
	if r.logp.sess != nil {
		err = r.logp.sess.Destroy()
	}
	return errors.Join(err, ort.DestroyEnvironment())
}

// ErrNoCUDA is wrapped by the error returned when --device cuda is asked for
// but the loaded library has no CUDA execution provider.
var ErrNoCUDA = errors.New("the CUDA execution provider is not available in this ONNX Runtime library")

func (r *Runtime) sessionOptions() (*ort.SessionOptions, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	threads := r.opts.Threads
	if threads <= 0 {
		threads = 1
	}
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		so.Destroy()
		return nil, err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		so.Destroy()
		return nil, err
	}
	if r.opts.Device == "cuda" {
		cuda, err := ort.NewCUDAProviderOptions()
		if err != nil {
			so.Destroy()
			return nil, fmt.Errorf("%w (library %s; install an onnxruntime-gpu build and point --ort-lib at it): %v", ErrNoCUDA, r.library, err)
		}
		defer cuda.Destroy()
		if err := so.AppendExecutionProviderCUDA(cuda); err != nil {
			so.Destroy()
			return nil, fmt.Errorf("%w (library %s; install an onnxruntime-gpu build and point --ort-lib at it): %v", ErrNoCUDA, r.library, err)
		}
	}
	return so, nil
}
