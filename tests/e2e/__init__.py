"""End-to-end tests of the whole platform: real ZooKeeper, Docker and HAProxy, mesoslocal, the api, schedulers
and balalaika-lb, driven as a user drives them."""
