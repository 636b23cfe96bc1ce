// Package docs holds the project's documentation pages (Markdown) and the
// test that keeps the links between them, and from README.md, resolving.
package docs
