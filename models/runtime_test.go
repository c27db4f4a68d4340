package models

import (
	"errors"
	"strings"
	"testing"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestFindLibraryExplicitMissing(t *testing.T) {
	_, err := FindLibrary("/nonexistent/libonnxruntime.so")
	var ml *MissingLibraryError
	if !errors.As(err, &ml) || !strings.Contains(ml.Hint(), "make ort") {
		t.Fatalf("err = %v, want MissingLibraryError with a hint", err)
	}
}
