"""The AI engine: sentiment (FinBERT or a financial lexicon), the LLM client and the tools
it calls into the platform's own data."""
