package config

// Load parses the organization's and the repository's files and merges
// them. Nil data means the file does not exist; empty data is an empty file;
// both leave that layer's settings to the layer below.
//
// When either file has errors, Load returns a nil *Config and a non-nil
// error (the Diagnostics themselves), so that a broken file can only be
// ignored by ignoring an error. The review gate must then fail, not fall back
// to defaults. The Diagnostics hold warnings as well as errors, from the
// organization's file first; report them whether or not Load succeeded.
func Load(orgFile string, orgData []byte, repoFile string, repoData []byte) (*Config, Diagnostics, error) {
	var org, repo *File
	var diags Diagnostics
	if orgData != nil {
		f, ds := ParseOrg(orgFile, orgData)
		org, diags = f, append(diags, ds...)
	}
	if repoData != nil {
		f, ds := Parse(repoFile, repoData)
		repo, diags = f, append(diags, ds...)
	}
	if diags.HasErrors() {
		return nil, diags, diags
	}
	c := Merge(org, repo)
	return &c, diags, nil
}
