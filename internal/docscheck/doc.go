// Package docscheck keeps the repository explaining itself. Its test reads every text file of
// the module and fails on a citation that leads nowhere: a Markdown file that does not exist, a
// section (#anchor) its file does not have, or a reference to notes kept outside the repository.
// Facts the code relies on live in docs/, in the project's own words with links to their public
// sources, and comments cite them as docs/<page>.md#<section>.
package docscheck
