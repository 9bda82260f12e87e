"""Clicks on short links: who clicked (anonymously), and whether a person did."""
