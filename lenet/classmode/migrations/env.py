"""Alembic's entry point for class mode: runs the migrations on the connection that `Store` hands over.

`Store.open` applies them on start-up inside its own transaction (config.attributes["connection"]), so the
repository needs no alembic.ini. A new migration is written by hand next to versions/0001_initial.py, and
lenet/classmode/schema.py is changed to match (tests/test_class_store.py checks that they agree).
"""

from alembic import context

from lenet.classmode.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Class-mode migrations run through lenet.classmode.store.Store.open, which passes a connection.")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
