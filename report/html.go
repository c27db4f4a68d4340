package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed page.css
var pageCSS string

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// view is what the template renders: a page of sections made of blocks.
type view struct {
	Title     string
	Generator string
	CSS       template.CSS
	Sections  []sectionView
}

type sectionView struct {
	ID     string
	Kind   Kind
	Title  string
	Source string
	Notes  []string
	Blocks []block
}

// block is one part of a section; the set fields are shown in the order
// Heading, Text, Cards, Table, Figures, Code.
type block struct {
	Heading string
	Text    []string
	Cards   []card
	Table   *table
	Figures []figure
	Code    []string // shown verbatim, one line each
}

type card struct{ Label, Value, Sub string }

type table struct {
	Class string // "kv" for two-column key/value tables
	Head  []string
	Rows  [][]cell
}

type cell struct {
	Text  string
	Class string // "num", "mono", "good", "bad", …
}

func txt(s string) cell  { return cell{Text: s} }
func num(s string) cell  { return cell{Text: s, Class: "num"} }
func mono(s string) cell { return cell{Text: s, Class: "mono"} }

// kv builds a two-column table of label/value pairs.
func kv(rows ...[2]string) *table {
	t := &table{Class: "kv"}
	for _, r := range rows {
		t.Rows = append(t.Rows, []cell{txt(r[0]), txt(r[1])})
	}
	return t
}

// Render writes the page as one self-contained HTML document: inline CSS
// and inline SVG plots, no scripts and nothing fetched from elsewhere.
// generator, when set, is named in the footer (e.g. "dpokit v1.2.0").
func Render(w io.Writer, p *Page, generator string) error {
	v := view{Title: p.Title, Generator: generator, CSS: template.CSS(pageCSS)}
	if v.Title == "" {
		v.Title = "dpokit report"
	}
	for i, sec := range p.Sections {
		var sv sectionView
		var err error
		switch {
		case sec.Score != nil:
			sv, err = scoreSection(sec.Score)
		case sec.WinRate != nil:
			sv, err = winRateSection(sec.WinRate)
		case sec.Experiment != nil:
			sv, err = experimentSection(sec.Experiment)
		case sec.Iteration != nil:
			sv, err = iterationSection(sec.Iteration)
		default:
			err = errors.New("empty section")
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sec.Source, err)
		}
		sv.ID = "s" + strconv.Itoa(i+1)
		sv.Source = sec.Source
		v.Sections = append(v.Sections, sv)
	}
	return pageTmpl.Execute(w, v)
}

// Write renders the page into dir as dir/index.html. The directory is
// built beside dir under a temporary name and renamed into place, so a
// reader sees the old report or the new one, never half of one. An
// existing dir is replaced only when it is empty or holds nothing but a
// report's files.
func Write(dir string, p *Page, generator string) error {
	var buf bytes.Buffer
	if err := Render(&buf, p, generator); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	if err := replaceable(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := writeSynced(filepath.Join(tmp, "index.html"), buf.Bytes()); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	var old string
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	done = true
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return err
		}
	}
	if d, err := os.Open(parent); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// reportFiles are the names a report directory holds.
var reportFiles = map[string]bool{"index.html": true}

func replaceable(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("report directory %s: not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !reportFiles[e.Name()] || !e.Type().IsRegular() {
			return fmt.Errorf("report directory %s holds %s, which is not part of a report: give a new or empty directory", dir, e.Name())
		}
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// Number formatting used throughout the page.

func f4(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

func pm(v, se float64) string { return f4(v) + " ± " + f4(se) }

// signed writes v with its sign.
func signed(v float64) string {
	s := f4(v)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

// g3 writes v with 3 significant digits but no exponent for ordinary sizes.
func g3(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func bytesize(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 2, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
