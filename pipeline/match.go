package pipeline

import "github.com/wavegate/wavegate/checks"

// Matches reports whether a push of changedFiles to branch releases through
// this pipeline: the branch is p.Branch (which the caller must have filled
// with the default branch when the file left it out: an empty Branch
// matches no real push) and at least one file is selected by p.Paths. An
// empty list matches, because GitHub sometimes cannot list a push's files
// (too many, or a forced push) and a release must not be skipped for it.
func (p Pipeline) Matches(branch string, changedFiles []string) bool {
	if branch != p.Branch {
		return false
	}
	if len(changedFiles) == 0 {
		return true
	}
	paths := p.Paths
	if paths == nil {
		paths = defaultPaths()
	}
	for _, f := range changedFiles {
		if checks.MatchAny(paths, f) {
			return true
		}
	}
	return false
}
