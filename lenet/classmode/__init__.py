"""Class mode's engine: a lesson's classes, members, digits and quizzes in a relational database.

`store.Store` is the one entry point (SQLite by default, PostgreSQL with a URL); `schema` holds the tables,
`migrations/` the Alembic history that builds them, `codes` the join codes and teacher tokens, `limits` the
rate limits, `export` the class's digits as an MNIST-format dataset. No streamlit here.
"""
