"""Reading pages from the public web, safely: nothing Chorus fetches can reach a private network."""
