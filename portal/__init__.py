"""The portal's domain package: settings, the inference backend and chat logic. Never imports streamlit."""
