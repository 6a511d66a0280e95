"""Deployment recipe: nginx in front of several portal instances (see deploy/README.md)."""
