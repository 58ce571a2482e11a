"""The lab cluster's twin on one machine: the Vagrant lab's topology (three ZooKeeper hosts, three scheduler+api
hosts, a Mesos master host, agent hosts, an edge) as network namespaces with their own addresses in
198.18.0.0/24, each running the real daemons, so that failovers, host losses and partitions are real faults.
`topology` says who runs what where (pure); `cluster` starts and stops it; `main` is `balalaika-twin`."""
