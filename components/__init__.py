"""Streamlit UI pieces shared by the pages, and the one module of cached resources."""
