/**
 * The transport plugin contract lives in `@herald/plugin-kit`, the package plugin authors
 * install; Herald's own code keeps importing it from here.
 */
export { TRANSPORT_CONTRACT_VERSION, defineTransportPlugin, type OutgoingRequest, type PluginContext, type TransportPlugin } from '@herald/plugin-kit';
