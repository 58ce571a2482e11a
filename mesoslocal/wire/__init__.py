"""The Mesos protocol and data that master and agents share: RecordIO framing, event streams, ids, resources,
TaskStatus and AgentInfo messages, validation of scheduler calls and tasks, and the shared parts of /state.

Pure data and functions; imports the standard library and nothing else of mesoslocal.
"""
