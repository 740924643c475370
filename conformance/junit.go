package conformance

import (
	"encoding/xml"
	"io"
	"strings"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per case file
// (a testcase per case) and one per mapping (a testcase per check). It
// returns the first write error.
func (r *Report) WriteJUnit(w io.Writer) error {
	doc := junitSuites{Name: "rota conformance", Tests: r.Passed + r.Failed, Failures: r.Failed}
	for _, f := range r.Files {
		doc.Suites = append(doc.Suites, fileSuite(f))
	}
	for _, m := range r.Mappings {
		doc.Suites = append(doc.Suites, mappingSuite(m))
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func fileSuite(f FileResult) junitSuite {
	s := junitSuite{Name: f.Path}
	for _, c := range f.Cases {
		jc := junitCase{Name: c.Name, Classname: f.Path}
		if !c.Passed {
			jc.Failure = &junitFailure{Message: firstLine(c.Failure.Message), Text: failureText(c)}
		}
		s.add(jc)
	}
	return s
}

func failureText(c CaseResult) string {
	var b strings.Builder
	b.WriteString(c.Pos.String() + ": " + c.Failure.Message + "\n")
	if !c.Failure.Source.IsZero() {
		b.WriteString("mapping: " + c.Failure.Source.String() + "\n")
	}
	b.WriteString(c.Failure.Diff)
	return b.String()
}

func mappingSuite(m MappingResult) junitSuite {
	s := junitSuite{Name: m.File + " checks"}
	for _, c := range m.Checks {
		jc := junitCase{Name: c.Name, Classname: m.File}
		if !c.Passed {
			jc.Failure = &junitFailure{Message: c.Name + " failed", Text: problemLines(c.Problems)}
		}
		s.add(jc)
	}
	return s
}

func (s *junitSuite) add(c junitCase) {
	s.Tests++
	if c.Failure != nil {
		s.Failures++
	}
	s.Cases = append(s.Cases, c)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
