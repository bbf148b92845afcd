"""Live updates: the event hub, Server-Sent Events, the command centre's map wall."""
