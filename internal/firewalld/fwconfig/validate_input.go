package fwconfig

import (
	"errors"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/beevik/etree"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/netdb"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// The files read for one validation, sorted and parsed before any reader
// runs.

// configInput is the files sorted for the readers: the name databases,
// the XML files by directory (parsed once, whatever the rules), the
// directories that could not be listed.
type configInput struct {
	DB       NetDB
	byDir    map[string][]remote.File
	unlisted []remote.File
	lockdown *remote.File // firewalld 1.3 checks it (see validate_lockdown.go)
	parsed   map[string]parsedXML
}

func sortFiles(d Dirs, files []remote.File) *configInput {
	in := &configInput{byDir: map[string][]remote.File{}}
	for i, f := range files {
		switch {
		case slices.Contains(NetDBFiles, f.Path):
			if f.Err == nil && f.Path == netdb.ServicesPath {
				in.DB.services = netdb.Parse(f.Data, "")
			} else if f.Err == nil {
				in.DB.protocols = netdb.Parse(f.Data, "")
			}
		case f.Path == lockdownPath(d):
			in.lockdown = &files[i]
		case strings.HasSuffix(f.Path, ".xml"):
			in.byDir[filepath.Dir(f.Path)] = append(in.byDir[filepath.Dir(f.Path)], f)
		case f.Err != nil && !errors.Is(f.Err, fs.ErrNotExist) && f.Path != filepath.Join(d.ConfigDir, "firewalld.conf"):
			// a directory ReadFiles could not list: firewalld's os.listdir fails too
			in.unlisted = append(in.unlisted, f)
		}
	}
	in.parsed = parseAll(in.byDir)
	return in
}

type parsedXML struct {
	root *etree.Element
	err  error
}

// parseAll parses every readable XML file up front, on all cores: parsing
// is most of the validation's time (a stock tree holds ~250 files) and the
// files are independent; what the readers then do with them is ordered.
func parseAll(byDir map[string][]remote.File) map[string]parsedXML {
	var files []remote.File
	for _, list := range byDir {
		for _, f := range list {
			if f.Err == nil {
				files = append(files, f)
			}
		}
	}
	results := make([]parsedXML, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				results[i].root, results[i].err = expat.Parse(files[i].Data)
			}
		}()
	}
	wg.Wait()
	out := make(map[string]parsedXML, len(files))
	for i, f := range files {
		out[f.Path] = results[i]
	}
	return out
}
