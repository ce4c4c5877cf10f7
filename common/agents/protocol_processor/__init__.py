"""The protocol processor: a clinical-trial protocol PDF in, a ``ProtocolSummary`` out."""
