"""The console: every topic read into a read model, a REST API over it, and actions published
as ``commands``. It never calls another service. See docs/console.md."""
