// Package docs holds the project's documentation pages (Markdown) and the
// tests that keep them true: links between them (and from README.md)
// resolve, plugin pages share one layout, every plugin invocation shown
// parses in the real binary, and every other shown command is run by a
// named test or by make demo (commands_coverage_test.go says which).
package docs
