// The embedded API (startBroker) lands with the broker; this module is the package entry point.
export {};
