# The lab's settings and node list, from the environment. Plain Ruby (no Vagrant), so that the tests can
# print it: `ruby vagrant/nodes.rb` writes the settings as JSON, or the error and exit status 1.
require "json"

module BalalaikaLab
  SUBNET = "192.168.56"          # inside 192.168.56.0/21, the host-only range VirtualBox allows by default
  MASTER_IPS = (1..3).map { |i| "#{SUBNET}.#{10 + i}" }
  EDGE_IP = "#{SUBNET}.31"
  MAX_AGENTS = 9                 # agents take .21 to .29; .31 is the edge
  MESOS_MODES = %w[real local].freeze
  MESOS_SOURCES = %w[repo cache].freeze
  # AVENTER's Mesos 1.11 build: cgroup v2 (>= 0.6) and Docker >= 26 (>= 0.5); see README.md
  DEFAULT_MESOS_VERSION = "1.11.0-0.7.1"
  DEFAULT_BOX = "generic/debian12"

  class SettingsError < StandardError; end

  def self.integer(env, name, default, low, high)
    text = env.fetch(name, default.to_s).strip
    value = Integer(text, 10) rescue nil
    unless value && value >= low && value <= high
      raise SettingsError, "#{name}=#{text.inspect} is not allowed: use a whole number from #{low} to #{high}"
    end
    value
  end

  def self.choice(env, name, default, allowed)
    value = env.fetch(name, default).strip
    unless allowed.include?(value)
      raise SettingsError, "#{name}=#{value.inspect} is not allowed: use one of #{allowed.join(', ')}"
    end
    value
  end

  def self.settings(env = ENV)
    agents = integer(env, "AGENTS", 2, 1, MAX_AGENTS)
    master_mem = integer(env, "MASTER_MEM", 2048, 1024, 65536)
    agent_mem = integer(env, "AGENT_MEM", 3072, 1024, 65536)
    edge_mem = integer(env, "EDGE_MEM", 1024, 512, 65536)
    cpus = integer(env, "CPUS", 2, 1, 64)
    masters = MASTER_IPS.each_with_index.map do |ip, i|
      { name: "master#{i + 1}", ip: ip, role: "master", memory: master_mem, zk_id: i + 1 }
    end
    agent_nodes = (1..agents).map do |i|
      { name: "agent#{i}", ip: "#{SUBNET}.#{20 + i}", role: "agent", memory: agent_mem, rack: "r#{(i - 1) % 2 + 1}" }
    end
    edge = { name: "edge", ip: EDGE_IP, role: "edge", memory: edge_mem }
    {
      agents: agents,
      box: env.fetch("BOX", DEFAULT_BOX).strip.then { |box| box.empty? ? DEFAULT_BOX : box },
      cpus: cpus,
      mesos: choice(env, "MESOS", "real", MESOS_MODES),
      mesos_source: choice(env, "MESOS_SOURCE", "repo", MESOS_SOURCES),
      mesos_version: env.fetch("MESOS_VERSION", DEFAULT_MESOS_VERSION).strip,
      nodes: masters + agent_nodes + [edge],
    }
  end

  # What every provisioning run gets, besides the node's own NODE_* variables.
  def self.cluster_env(settings)
    nodes = settings[:nodes]
    {
      "LAB_HOSTS" => nodes.map { |n| "#{n[:ip]} #{n[:name]}" }.join(","),
      "MASTER_IPS" => nodes.select { |n| n[:role] == "master" }.map { |n| n[:ip] }.join(","),
      "AGENT_IPS" => nodes.select { |n| n[:role] == "agent" }.map { |n| n[:ip] }.join(","),
      "EDGE_IP" => nodes.find { |n| n[:role] == "edge" }[:ip],
      "MESOS" => settings[:mesos],
      "MESOS_SOURCE" => settings[:mesos_source],
      "MESOS_VERSION" => settings[:mesos_version],
    }
  end

  def self.node_env(node)
    { "NODE_NAME" => node[:name], "NODE_IP" => node[:ip], "NODE_ROLE" => node[:role],
      "ZK_ID" => node.fetch(:zk_id, "").to_s, "NODE_RACK" => node.fetch(:rack, "") }
  end
end

if $PROGRAM_NAME == __FILE__
  begin
    settings = BalalaikaLab.settings
    settings[:env] = BalalaikaLab.cluster_env(settings)
    settings[:nodes].each { |node| node[:env] = BalalaikaLab.node_env(node) }
    puts JSON.pretty_generate(settings)
  rescue BalalaikaLab::SettingsError => e
    warn "lab: #{e.message}"
    exit 1
  end
end
