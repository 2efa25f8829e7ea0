"""Calling tools' HTTP backends (URL from config only) and turning outcomes into results."""
