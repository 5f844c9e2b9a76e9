"""Failure reasons: the rule that turns a status message into its cause (`rule`), the family
of a cause (`families`), and the derived texts table both the sync and the models use (`texts`,
`names`). Below both of them: it imports neither."""
