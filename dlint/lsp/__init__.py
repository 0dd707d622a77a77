"""`dlint lsp`: a language server over the lint engine; imported only by that subcommand (pygls is heavy)."""
