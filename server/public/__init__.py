"""The public information platform: server-rendered HTML pages, readable without JavaScript and
without logging in, joining the registry, billing, proficiency, credit and complaints domains."""
