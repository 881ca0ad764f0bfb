package dev.loopkit.internal;

import dev.loopkit.KeepAlive;

/** Holds a program-mode loop open until closed (any thread). */
final class KeepAliveHandle extends HandleBase implements KeepAlive {

  KeepAliveHandle(EventLoop loop, long id) {
    super(loop, id);
  }

  @Override
  public String kind() {
    return "keepAlive";
  }

  @Override
  public boolean isActive() {
    return loop.keepAlives.isOpen(this);
  }

  @Override
  public void close() {
    close(() -> {});
  }

  @Override
  void onClose() {
    loop.keepAlives.closed(this);
  }

  @Override
  public KeepAlive ref() {
    super.ref();
    return this;
  }

  @Override
  public KeepAlive unref() {
    super.unref();
    return this;
  }

  @Override
  void changeRef(boolean value) {
    setRefFlag(value);
  }
}
