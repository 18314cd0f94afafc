/** The parts of ARI's models and events the controller uses (from Asterisk's rest-api/*.json). */
export interface AriCallerId { name: string; number: string }
export interface AriChannel {
  id: string;
  name: string;
  state: 'Down' | 'Rsrvd' | 'OffHook' | 'Dialing' | 'Ring' | 'Ringing' | 'Up' | 'Busy' | 'Dialing Offhook' | 'Pre-ring' | 'Unknown';
  caller: AriCallerId;
  connected: AriCallerId;
  dialplan: { context: string; exten: string; priority: number; app_name?: string; app_data?: string };
  creationtime: string;
}
export interface AriBridge { id: string; bridge_type: string; channels: string[] }

interface Base { application: string; timestamp: string }
export interface StasisStart extends Base { type: 'StasisStart'; channel: AriChannel; args: string[]; replace_channel?: AriChannel }
export interface StasisEnd extends Base { type: 'StasisEnd'; channel: AriChannel }
export interface ChannelDestroyed extends Base { type: 'ChannelDestroyed'; channel: AriChannel; cause: number; cause_txt: string }
export interface ChannelStateChange extends Base { type: 'ChannelStateChange'; channel: AriChannel }
export interface ApplicationReplaced extends Base { type: 'ApplicationReplaced' }
export interface ChannelDtmfReceived extends Base { type: 'ChannelDtmfReceived'; channel: AriChannel; digit: string; duration_ms: number }
export interface AriPlayback { id: string; media_uri: string; target_uri: string; state: string }
export interface PlaybackStarted extends Base { type: 'PlaybackStarted'; playback: AriPlayback }
export interface PlaybackFinished extends Base { type: 'PlaybackFinished'; playback: AriPlayback }
export interface AriLiveRecording { name: string; format: string; state: string; target_uri: string; duration?: number; talking_duration?: number; cause?: string }
export interface RecordingFinished extends Base { type: 'RecordingFinished'; recording: AriLiveRecording }
export interface RecordingFailed extends Base { type: 'RecordingFailed'; recording: AriLiveRecording }

/** A REFER from a phone, when the channel's transfers are handled by the app (PJSIP_TRANSFER_HANDLING=ari-only). */
export interface ChannelTransfer extends Base {
  type: 'ChannelTransfer';
  state?: string;
  refer_to: { requested_destination: { destination?: string; protocol_id?: string } };
  referred_by: { source_channel: AriChannel };
}

export interface DeviceStateChanged extends Base { type: 'DeviceStateChanged'; device_state: { name: string; state: string } }

export type AriEvent = DeviceStateChanged | ChannelTransfer | StasisStart | StasisEnd | ChannelDestroyed | ChannelStateChange | ApplicationReplaced
  | ChannelDtmfReceived | PlaybackStarted | PlaybackFinished | RecordingFinished | RecordingFailed;
export type AriEventType = AriEvent['type'];
export type AriEventOf<T extends AriEventType> = Extract<AriEvent, { type: T }>;

export interface OriginateRequest {
  endpoint: string;
  channelId: string;
  app: string;
  appArgs: string;
  callerId: string;
  timeoutSec: number;
  originator?: string;
  /** Channel variables (and writable functions, e.g. PJSIP_TRANSFER_HANDLING()) set on the new channel as Asterisk creates it. */
  variables?: Record<string, string>;
}

/** Field list for PUT /asterisk/config/dynamic/res_pjsip/{type}/{id}. */
export type PjsipFields = { attribute: string; value: string }[];

/** Hangup causes Asterisk reports for a leg that never answered (Q.850). */
export const CAUSE = { NORMAL: 16, BUSY: 17, NO_USER_RESPONSE: 18, NO_ANSWER: 19, REJECTED: 21 } as const;

/** The event types the controller handles: the application's event filter lets only these through. */
export const HANDLED_EVENTS = [
  'StasisStart', 'StasisEnd', 'ChannelDestroyed', 'ChannelDtmfReceived', 'ChannelTransfer', 'DeviceStateChanged',
  'PlaybackStarted', 'PlaybackFinished', 'RecordingStarted', 'RecordingFinished', 'RecordingFailed',
  'ApplicationReplaced',
] as const;
