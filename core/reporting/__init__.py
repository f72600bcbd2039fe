"""Everything made from a finished (or watched) run for people and tools to read: the report
model and its Markdown, JUnit XML, the CI outputs of `soak run`, and the `soak report` command."""
