"""Where the loop meets other tools: serving over HTTP (``serve``), publishing on the Hugging
Face Hub (``hub``) and Prodigy recipes (``prodigy``)."""
