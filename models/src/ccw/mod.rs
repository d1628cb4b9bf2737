//! Channel command words (CCWs), ECKD channel programs and their execution against a volume.
