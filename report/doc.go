// Package report renders dpokit's results as a static, self-contained HTML
// page: `dpokit score` summaries and their per-pair results, `dpokit score
// winrate` results, and the controlled experiment's results ([Experiment]).
//
// # Inputs
//
// [Load] reads files and tells their kind from their JSON fields
// ([Detect]); each input makes a section of the page. A score summary's
// per-pair results are read from the file its "out" names, or given as
// the next input.
//
// # Output
//
// [Write] renders the page into a directory as index.html, built under a
// temporary name beside it and renamed into place. Styles are inline and
// plots (drawn with gonum.org/v1/plot) are inline SVG; the page has no
// scripts and refers to nothing outside itself, so it works offline and
// can be mailed or archived as one file. Plot text is measured with the
// Liberation fonts and shown with them where installed, else with the
// metric-compatible Arial or Helvetica.
//
// # Errors
//
// Errors name the input file (and line, for JSON lines); what is missing
// but not fatal — per-pair results that cannot be found, counts that
// disagree — is said on the page.
package report
