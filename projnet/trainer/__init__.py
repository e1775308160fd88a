"""The teacher: model builders and the joint training loop."""
